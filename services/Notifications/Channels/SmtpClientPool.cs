using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// At most <paramref name="maxSessions"/> connected and authenticated MailKit clients, reused by the senders (a sender
/// waits for a free one); a client that fails is dropped, never returned, and the next rent connects a new one. Mail
/// servers limit the sessions one client may hold (Postfix: 50 by default, answering 421 beyond), and a session carries
/// hundreds of mails a second (MailKit pipelines MAIL and RCPT when the server offers PIPELINING), so the dispatcher's
/// workers share a few sessions rather than open one each, and pay the TLS handshake and AUTH once per session, not per
/// mail. Without an SMTP server configured there is no e-mail channel, as there is no push channel without a push gateway.
/// </summary>
public sealed class SmtpClientPool(SmtpEndpoint? endpoint, int maxSessions) : IAsyncDisposable
{
    public bool IsConfigured => endpoint is not null;

    private const int MaxMessagesPerSession = 10_000;
    private readonly ConcurrentBag<Session> _idle = [];
    private readonly SemaphoreSlim _sessions = new(maxSessions, maxSessions);

    /// <summary>How long opening a session (connect, STARTTLS, AUTH) may take, whoever waits for it.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A session of this sender's own until it is returned or dropped; waits while all of them are in use.</summary>
    internal async Task<(Session Session, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        await _sessions.WaitAsync(cancellationToken);
        Task<Session> opening;
        try
        {
            while (_idle.TryTake(out var idle))
            {
                if (idle.Client.IsConnected)
                {
                    return (idle, true);
                }

                idle.Client.Dispose();
            }

            // Not under the caller's token: a sender whose attempt times out while the session is being opened leaves
            // it to finish and join the pool, rather than throw away a TLS handshake half done and start another.
            opening = ConnectAsync(endpoint ?? throw new InvalidOperationException("No SMTP server is configured."));
        }
        catch
        {
            _sessions.Release();
            throw;
        }

        try
        {
            return (await opening.WaitAsync(cancellationToken), false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = opening.ContinueWith(
                async opened =>
                {
                    if (opened.IsCompletedSuccessfully)
                    {
                        await ReturnAsync(opened.Result); // frees the place too
                    }
                    else
                    {
                        _sessions.Release();
                    }
                },
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            throw;
        }
        catch
        {
            _sessions.Release();
            throw;
        }
    }

    private static async Task<Session> ConnectAsync(SmtpEndpoint endpoint)
    {
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        var cancellationToken = timeout.Token;
        var client = new SmtpClient { ServerCertificateValidationCallback = (_, certificate, _, errors) => Trusted(endpoint, certificate, errors) };
        try
        {
            // With credentials the endpoint asks for STARTTLS (or TLS on connect): MailKit refuses a server without it
            // before any AUTH is sent.
            await client.ConnectAsync(endpoint.Host, endpoint.Port, endpoint.Security, cancellationToken);
            if (endpoint.Credentials is { } credentials)
            {
                await client.AuthenticateAsync(credentials, cancellationToken);
            }

            return new Session(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A certificate the system trusts, or one that chains to the configured <see cref="SmtpEndpoint.TrustedCertificate"/>
    /// with nothing else wrong (its host name and dates are checked as usual). Nothing is trusted beyond that one server.
    /// </summary>
    private static bool Trusted(SmtpEndpoint endpoint, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (endpoint.TrustedCertificate is not { } anchor || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(anchor);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }

    internal async Task ReturnAsync(Session session)
    {
        try
        {
            if (session.Sent >= MaxMessagesPerSession || !session.Client.IsConnected)
            {
                await CloseAsync(session);
                return;
            }

            _idle.Add(session);
        }
        finally
        {
            _sessions.Release();
        }
    }

    /// <summary>Closes a session that failed, and frees its place.</summary>
    internal async Task DropAsync(Session session)
    {
        try
        {
            await CloseAsync(session);
        }
        finally
        {
            _sessions.Release();
        }
    }

    private static async Task CloseAsync(Session session)
    {
        try
        {
            if (session.Client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await session.Client.DisconnectAsync(quit: true, quick.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or MailKit.ProtocolException or System.Net.Sockets.SocketException)
        {
            // The session is being thrown away; a QUIT that does not arrive changes nothing.
        }
        finally
        {
            session.Client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var session))
        {
            await CloseAsync(session);
        }
    }

    /// <summary>One connected, authenticated MailKit client and how many mails it carried.</summary>
    internal sealed class Session(SmtpClient client)
    {
        public SmtpClient Client { get; } = client;

        public int Sent { get; set; }
    }
}
