using System.Net.Mail;
using System.Net.Sockets;
using System.Text;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// E-mail over SMTP to the server in <c>ConnectionStrings__smtp</c> (<c>smtp://host:port</c>, as Aspire's MailDev
/// integration gives it), on pooled sessions. Plain-text UTF-8, base64 body, RFC 2047 subject.
/// </summary>
public sealed class EmailSender(SmtpConnectionPool pool, IOptions<NotificationsOptions> options, TimeProvider time) : IChannelSender
{
    public string Channel => ChannelNames.Email;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        if (!pool.IsConfigured)
        {
            return SendOutcome.NotConfigured;
        }

        MailAddress from, to;
        try
        {
            from = new MailAddress(options.Value.EmailFrom);
            to = new MailAddress(message.Address);
        }
        catch (FormatException)
        {
            return SendOutcome.Rejected;
        }

        var bytes = Compose(from, to, message);

        // A pooled session the server has since closed fails before the message is complete: open a fresh one.
        for (var attempt = 0; ; attempt++)
        {
            SmtpConnection connection;
            bool reused;
            try
            {
                (connection, reused) = await pool.RentAsync(cancellationToken);
            }
            catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
            {
                return SendOutcome.Unavailable;
            }
            catch (OperationCanceledException)
            {
                // Timed out waiting for a free session or while connecting: nothing of this message was sent.
                return SendOutcome.Unavailable;
            }

            SmtpResult result;
            try
            {
                result = await connection.SendAsync(from.Address, to.Address, bytes, cancellationToken);
            }
            catch (SmtpBrokenException e)
            {
                await pool.DropAsync(connection);
                if (e.MessageComplete)
                {
                    return SendOutcome.InDoubt;
                }

                if (!reused || attempt > 0)
                {
                    return SendOutcome.Unavailable;
                }

                continue;
            }
            catch
            {
                await pool.DropAsync(connection); // its place in the pool is freed whatever went wrong
                throw;
            }

            await pool.ReturnAsync(connection);
            return result switch
            {
                SmtpResult.Accepted => SendOutcome.Sent,
                SmtpResult.Refused => SendOutcome.Rejected,
                _ => SendOutcome.Unavailable,
            };
        }
    }

    // The part of a mail that is the same for every recipient of a notice (subject, language, body), encoded once per
    // rendered notice: a campaign renders one notice per language, so this is done once, not once per e-mail.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RenderedNotice, byte[]> _encoded = new();

    private byte[] Compose(MailAddress from, MailAddress to, OutgoingMessage message)
    {
        var shared = _encoded.GetValue(message.Notice, Encode);
        var head = new StringBuilder(256);
        head.Append("From: ").Append(from.Address).Append("\r\n");
        head.Append("To: ").Append(to.Address).Append("\r\n");
        head.Append("Date: ").Append(time.GetUtcNow().ToString("r")).Append("\r\n");
        // The same Message-ID on every attempt, so a mail system (or an operator) can recognise a repeat.
        head.Append("Message-ID: <").Append(message.DeduplicationKey).Append("@privacysuite>\r\n");
        var bytes = new byte[Encoding.ASCII.GetByteCount(head.ToString()) + shared.Length];
        var written = Encoding.ASCII.GetBytes(head.ToString(), bytes);
        shared.CopyTo(bytes, written);
        return bytes;
    }

    private static byte[] Encode(RenderedNotice notice)
    {
        var text = new StringBuilder(notice.Body.Length * 2 + 256);
        text.Append("Subject: =?UTF-8?B?").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(notice.Subject))).Append("?=\r\n");
        text.Append("Content-Language: ").Append(notice.Language).Append("\r\n");
        text.Append("MIME-Version: 1.0\r\n");
        text.Append("Content-Type: text/plain; charset=utf-8\r\n");
        text.Append("Content-Transfer-Encoding: base64\r\n\r\n");

        // Base64 lines never start with a dot, so the DATA section needs no dot-stuffing.
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes(notice.Body.ReplaceLineEndings("\r\n")));
        for (var i = 0; i < body.Length; i += 76)
        {
            text.Append(body, i, Math.Min(76, body.Length - i)).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString().TrimEnd('\r', '\n'));
    }
}

/// <summary>The SMTP server from <c>ConnectionStrings__smtp</c>.</summary>
public sealed record SmtpEndpoint(string Host, int Port, bool UseTls)
{
    public const string ConnectionName = "smtp";

    /// <summary>The configured server; null when none is configured; an error when the setting is not an SMTP address.</summary>
    public static SmtpEndpoint? FromConfiguration(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // Aspire's MailDev resource may write Endpoint=smtp://host:port.
        if (value?.StartsWith("Endpoint=", StringComparison.OrdinalIgnoreCase) == true)
        {
            value = value["Endpoint=".Length..].Split(';')[0];
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "smtp" or "smtps" && uri.Host.Length > 0)
        {
            return new SmtpEndpoint(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 25 : uri.Port, uri.Scheme == "smtps");
        }

        throw new InvalidOperationException(
            $"ConnectionStrings__{ConnectionName} is not an smtp://host:port address; fix it, or leave it unset to run without e-mail.");
    }
}
