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
/// name each time); MailKit, which pools, is not in the registry here.
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
            if (await connection.ReadReplyAsync(cancellationToken) != 220 ||
                await connection.CommandAsync("EHLO privacysuite", cancellationToken) != 250)
            {
                await connection.DisposeAsync();
                throw new IOException("The SMTP server did not greet us.");
            }

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
            foreach (var command in new[] { $"MAIL FROM:<{from}>", $"RCPT TO:<{to}>", "DATA" })
            {
                var reply = await CommandAsync(command, cancellationToken);
                if (reply is not (250 or 251 or 354))
                {
                    await CommandAsync("RSET", cancellationToken);
                    return reply >= 500 ? SmtpResult.Refused : SmtpResult.NotTaken;
                }
            }

            await _stream.WriteAsync(message, cancellationToken);
            await _stream.WriteAsync("\r\n.\r\n"u8.ToArray(), cancellationToken);
            await _stream.FlushAsync(cancellationToken);
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

    private async Task<int> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    private async Task<int> ReadReplyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The SMTP server closed the connection.");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
            {
                throw new IOException("The SMTP server sent a malformed reply.");
            }

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
/// Idle SMTP sessions, reused by the senders; a session that fails is dropped, never returned. Without an SMTP server
/// configured there is no e-mail channel, as there is no push channel without a push gateway.
/// </summary>
public sealed class SmtpConnectionPool(SmtpEndpoint? endpoint) : IAsyncDisposable
{
    public bool IsConfigured => endpoint is not null;

    private const int MaxMessagesPerConnection = 10_000;
    private const int MaxIdle = 64;
    private readonly ConcurrentBag<SmtpConnection> _idle = [];

    internal async Task<(SmtpConnection Connection, bool Reused)> RentAsync(CancellationToken cancellationToken) =>
        _idle.TryTake(out var connection) ? (connection, true) : (await SmtpConnection.OpenAsync(endpoint ?? throw new InvalidOperationException("No SMTP server is configured."), cancellationToken), false);

    internal async Task ReturnAsync(SmtpConnection connection)
    {
        if (connection.Sent >= MaxMessagesPerConnection || _idle.Count >= MaxIdle)
        {
            await connection.DisposeAsync();
            return;
        }

        _idle.Add(connection);
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var connection))
        {
            await connection.DisposeAsync();
        }
    }
}
