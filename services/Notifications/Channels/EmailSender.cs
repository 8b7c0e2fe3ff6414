using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MimeKit.Text;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// E-mail through MailKit to the server in <c>ConnectionStrings__smtp</c> (see <see cref="SmtpEndpoint"/>), on pooled
/// sessions. Plain-text UTF-8, base64 body, the same <c>Message-ID</c> on every attempt.
/// <para>
/// What a reply means for the notice: 250 after the message, sent; a 5xx refusal of the recipient, a bounce (the contact
/// does not work: <see cref="SendOutcome.Bounced"/>); another 5xx, refused for good; a 4xx, or a session that broke
/// before the whole message was handed over, not taken (retried); a session that broke after that, in doubt (the server
/// may have it, so it is never repeated on e-mail).
/// </para>
/// </summary>
public sealed class EmailSender(SmtpClientPool pool, IOptions<NotificationsOptions> options, TimeProvider time, ILogger<EmailSender> logger) : IChannelSender
{
    public string Channel => ChannelNames.Email;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        if (!pool.IsConfigured)
        {
            return SendOutcome.NotConfigured;
        }

        if (!MailboxAddress.TryParse(options.Value.EmailFrom, out var from) || !MailboxAddress.TryParse(message.Address, out var to))
        {
            return SendOutcome.Rejected;
        }

        var mail = Compose(from, to, message);

        // A pooled session the server has since closed fails before the message is complete: open a fresh one.
        for (var attempt = 0; ; attempt++)
        {
            SmtpClientPool.Session session;
            bool reused;
            try
            {
                (session, reused) = await pool.RentAsync(cancellationToken);
            }
            catch (Exception e) when (IsUnavailable(e))
            {
                // Could not connect, no TLS (when required), an untrusted certificate, refused credentials, or timed out
                // waiting: nothing of this message was sent. Only the error's type is logged: its text may quote the server.
                Log.SmtpUnavailable(logger, e.GetType().Name);
                return SendOutcome.Unavailable;
            }

            // The attempt's time counts from here: a mail that waited for a free session must not be cut off after its
            // DATA for having waited (the cut would leave it in doubt and send the notice on the next channel too).
            using var sending = new CancellationTokenSource(options.Value.AttemptTimeout);
            var progress = new DataProgress();
            try
            {
                await session.Client.SendAsync(mail, from, [to], sending.Token, progress);
                session.Sent++;
            }
            catch (SmtpCommandException e)
            {
                // The server answered: MailKit reset the transaction, and the session serves the next mail if still open.
                await pool.ReturnAsync(session);
                return (int)e.StatusCode switch
                {
                    >= 500 when e.ErrorCode == SmtpErrorCode.RecipientNotAccepted => SendOutcome.Bounced,
                    >= 500 => SendOutcome.Rejected,
                    _ => SendOutcome.Unavailable,
                };
            }
            catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException or
                                          ObjectDisposedException or ServiceNotConnectedException)
            {
                await pool.DropAsync(session);
                if (progress.Complete)
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
                await pool.DropAsync(session); // its place in the pool is freed whatever went wrong
                throw;
            }

            await pool.ReturnAsync(session);
            return SendOutcome.Sent;
        }
    }

    private static bool IsUnavailable(Exception e) =>
        e is IOException or SocketException or ProtocolException or SmtpCommandException or SslHandshakeException or
            AuthenticationException or NotSupportedException or OperationCanceledException;

    // The part of a mail that is the same for every recipient of a notice (the body, base64), encoded once per rendered
    // notice: a campaign renders one notice per language, so this is done once, not once per e-mail.
    private readonly ConditionalWeakTable<RenderedNotice, byte[]> _encoded = new();

    private MimeMessage Compose(MailboxAddress from, MailboxAddress to, OutgoingMessage message)
    {
        var notice = message.Notice;
        var body = new TextPart(TextFormat.Plain)
        {
            // Already base64: MimeKit writes it as it is rather than encoding the body again for every recipient.
            Content = new MimeContent(new MemoryStream(_encoded.GetValue(notice, Encode), writable: false), ContentEncoding.Base64),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        body.ContentType.Charset = "utf-8";
        var mail = new MimeMessage([from], [to], notice.Subject, body)
        {
            Date = time.GetUtcNow(),
            // The same Message-ID on every attempt, so a mail system (or an operator) can recognise a repeat.
            MessageId = $"{message.DeduplicationKey}@privacysuite",
        };
        mail.Headers.Add(HeaderId.ContentLanguage, notice.Language);
        return mail;
    }

    private static byte[] Encode(RenderedNotice notice) =>
        Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(notice.Body.ReplaceLineEndings("\r\n")), Base64FormattingOptions.InsertLineBreaks));

    /// <summary>
    /// Whether the whole message was handed to the session: from then on a broken session may have delivered it. MailKit
    /// reports the bytes of the message it wrote after the server's 354; when it gives no total, any byte counts.
    /// </summary>
    private sealed class DataProgress : ITransferProgress
    {
        public bool Complete { get; private set; }

        public void Report(long bytesTransferred, long totalSize) => Complete |= totalSize <= 0 || bytesTransferred >= totalSize;

        public void Report(long bytesTransferred) => Complete = true;
    }
}
