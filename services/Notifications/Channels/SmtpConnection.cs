using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace PrivacySuite.Notifications.Channels;

/// <summary>What an SMTP exchange ended with, and whether the server can have taken the message.</summary>
public enum SmtpResult
{
    Accepted,

    /// <summary>A 5xx reply: the server refused the message for good.</summary>
    Refused,

    /// <summary>A 4xx reply, or the connection failed before the message was complete: nothing was taken.</summary>
    NotTaken,

    /// <summary>The message was complete when the connection failed: the server may have taken it.</summary>
    Unknown,
}

/// <summary>
/// One SMTP session kept open for many messages (MAIL, RCPT, DATA per message after one EHLO). System.Net.Mail opens a
/// connection per message, which costs a handshake and the server's per-connection work (maildev resolves the client's
/// name each time); MailKit, which pools, is not in the registry here. When the server advertises PIPELINING
/// (RFC 2920) MAIL, RCPT and DATA go out in one write: two round trips per message instead of four.
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly StreamReader _reader;

    private SmtpConnection(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
        _reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
    }

    public int Sent { get; private set; }

    /// <summary>Whether the server's EHLO reply advertised PIPELINING.</summary>
    public bool Pipelining { get; private set; }

    public static async Task<SmtpConnection> OpenAsync(SmtpEndpoint endpoint, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            Stream stream = tcp.GetStream();
            if (endpoint.UseTls)
            {
                var tls = new SslStream(stream);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.Host }, cancellationToken);
                stream = tls;
            }

            var connection = new SmtpConnection(tcp, stream);
            if (await connection.ReadReplyAsync(cancellationToken) != 220)
            {
                await connection.DisposeAsync();
                throw new IOException("The SMTP server did not greet us.");
            }

            await connection.WriteAsync("EHLO privacysuite\r\n"u8.ToArray(), cancellationToken);
            var extensions = new List<string>();
            if (await connection.ReadReplyAsync(cancellationToken, extensions) != 250)
            {
                await connection.DisposeAsync();
                throw new IOException("The SMTP server did not greet us.");
            }

            connection.Pipelining = extensions.Any(e => e.Equals("PIPELINING", StringComparison.OrdinalIgnoreCase));
            return connection;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message. Throws on a broken connection, saying whether the message was complete by then.</summary>
    public async Task<SmtpResult> SendAsync(string from, string to, byte[] message, CancellationToken cancellationToken)
    {
        var complete = false;
        try
        {
            var envelope = new[] { $"MAIL FROM:<{from}>\r\n", $"RCPT TO:<{to}>\r\n", "DATA\r\n" };
            var replies = new int[envelope.Length];
            if (Pipelining)
            {
                await WriteAsync(Encoding.ASCII.GetBytes(string.Concat(envelope)), cancellationToken);
                for (var i = 0; i < envelope.Length; i++)
                {
                    replies[i] = await ReadReplyAsync(cancellationToken);
                }
            }
            else
            {
                for (var i = 0; i < envelope.Length && (i == 0 || replies[i - 1] is 250 or 251); i++)
                {
                    await WriteAsync(Encoding.ASCII.GetBytes(envelope[i]), cancellationToken);
                    replies[i] = await ReadReplyAsync(cancellationToken);
                }
            }

            if (replies[0] != 250 || replies[1] is not (250 or 251) || replies[2] != 354)
            {
                if (replies[2] == 354)
                {
                    // A pipelined DATA the server accepted although MAIL or RCPT failed: the session's state is not one we
                    // can trust with the next message, and the message itself was never sent. Drop the session.
                    throw new IOException("The SMTP server accepted DATA after refusing the envelope.");
                }

                await WriteAsync("RSET\r\n"u8.ToArray(), cancellationToken);
                await ReadReplyAsync(cancellationToken);
                var refusal = replies.First(r => r is not (250 or 251 or 354 or 0));
                return refusal >= 500 ? SmtpResult.Refused : SmtpResult.NotTaken;
            }

            // The message and its terminating dot in one write.
            var data = new byte[message.Length + 5];
            message.CopyTo(data, 0);
            "\r\n.\r\n"u8.CopyTo(data.AsSpan(message.Length));
            await WriteAsync(data, cancellationToken);
            complete = true;
            var final = await ReadReplyAsync(cancellationToken);
            Sent++;
            return final == 250 ? SmtpResult.Accepted : final >= 500 ? SmtpResult.Refused : SmtpResult.NotTaken;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            throw new SmtpBrokenException(complete, e);
        }
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(bytes, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one (possibly multi-line) reply; <paramref name="lines"/> collects each line's text after the code.</summary>
    private async Task<int> ReadReplyAsync(CancellationToken cancellationToken, List<string>? lines = null)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The SMTP server closed the connection.");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
            {
                throw new IOException("The SMTP server sent a malformed reply.");
            }

            lines?.Add(line.Length > 4 ? line[4..].Trim() : "");

            // "250-..." continues a multi-line reply; "250 ..." ends it.
            if (line.Length == 3 || line[3] != '-')
            {
                return code;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}

internal sealed class SmtpBrokenException(bool messageComplete, Exception inner) : Exception("The SMTP connection failed.", inner)
{
    public bool MessageComplete { get; } = messageComplete;
}

/// <summary>
/// At most <paramref name="maxSessions"/> SMTP sessions, reused by the senders (a sender waits for a free one); a session
/// that fails is dropped, never returned. Mail servers limit the sessions one client may hold (Postfix: 50 by default,
/// answering 421 beyond), and a pipelined session carries hundreds of mails a second, so the dispatcher's workers share
/// a few sessions rather than open one each. Without an SMTP server configured there is no e-mail channel, as there is no
/// push channel without a push gateway.
/// </summary>
public sealed class SmtpConnectionPool(SmtpEndpoint? endpoint, int maxSessions) : IAsyncDisposable
{
    public bool IsConfigured => endpoint is not null;

    private const int MaxMessagesPerConnection = 10_000;
    private readonly ConcurrentBag<SmtpConnection> _idle = [];
    private readonly SemaphoreSlim _sessions = new(maxSessions, maxSessions);

    /// <summary>A session of this sender's own until it is returned or dropped; waits while all of them are in use.</summary>
    internal async Task<(SmtpConnection Connection, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        await _sessions.WaitAsync(cancellationToken);
        try
        {
            return _idle.TryTake(out var connection)
                ? (connection, true)
                : (await SmtpConnection.OpenAsync(endpoint ?? throw new InvalidOperationException("No SMTP server is configured."), cancellationToken), false);
        }
        catch
        {
            _sessions.Release();
            throw;
        }
    }

    internal async Task ReturnAsync(SmtpConnection connection)
    {
        try
        {
            if (connection.Sent >= MaxMessagesPerConnection)
            {
                await connection.DisposeAsync();
                return;
            }

            _idle.Add(connection);
        }
        finally
        {
            _sessions.Release();
        }
    }

    /// <summary>Closes a session that failed, and frees its place.</summary>
    internal async Task DropAsync(SmtpConnection connection)
    {
        try
        {
            await connection.DisposeAsync();
        }
        finally
        {
            _sessions.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var connection))
        {
            await connection.DisposeAsync();
        }
    }
}
