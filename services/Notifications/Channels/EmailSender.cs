using System.Net.Mail;
using System.Net.Sockets;
using System.Text;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// E-mail over SMTP to the server in <c>ConnectionStrings__smtp</c> (<c>smtp://host:port</c>, as Aspire's MailDev
/// integration gives it). System.Net.Mail's client, because MailKit is not in the registry here.
/// </summary>
public sealed class EmailSender(SmtpEndpoint endpoint, IOptions<NotificationsOptions> options) : IChannelSender
{
    public string Channel => ChannelNames.Email;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        MailMessage mail;
        try
        {
            mail = new MailMessage(new MailAddress(options.Value.EmailFrom), new MailAddress(message.Address))
            {
                Subject = message.Notice.Subject,
                Body = message.Notice.Body,
                SubjectEncoding = Encoding.UTF8,
                BodyEncoding = Encoding.UTF8,
                HeadersEncoding = Encoding.UTF8,
            };
        }
        catch (FormatException)
        {
            return SendOutcome.Rejected;
        }

        using (mail)
        {
            // The same Message-ID on every attempt, so a mail system (or an operator) can recognise a repeat.
            mail.Headers["Message-ID"] = $"<{message.DeduplicationKey}@privacysuite>";
            mail.Headers["Content-Language"] = message.Notice.Language;
            using var client = new SmtpClient(endpoint.Host, endpoint.Port)
            {
                DeliveryMethod = SmtpDeliveryMethod.Network,
                EnableSsl = endpoint.UseTls,
                Timeout = (int)options.Value.AttemptTimeout.TotalMilliseconds,
            };
            try
            {
                await client.SendMailAsync(mail, cancellationToken);
                return SendOutcome.Sent;
            }
            catch (SmtpFailedRecipientException e)
            {
                return IsTransient(e.StatusCode) ? SendOutcome.Unavailable : SendOutcome.Rejected;
            }
            catch (SmtpException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return SendOutcome.Unavailable;
            }
            catch (SmtpException e) when (e.StatusCode != SmtpStatusCode.GeneralFailure)
            {
                // The server answered with a reply code: it told us it did not take the message.
                return IsTransient(e.StatusCode) ? SendOutcome.Unavailable : SendOutcome.Rejected;
            }
            catch (Exception e) when (e is SmtpException or IOException or SocketException)
            {
                // A timeout or a broken connection after the server may have accepted the message.
                return SendOutcome.InDoubt;
            }
        }
    }

    private static bool IsTransient(SmtpStatusCode code) => (int)code is >= 400 and < 500;
}

/// <summary>The SMTP server from <c>ConnectionStrings__smtp</c>.</summary>
public sealed record SmtpEndpoint(string Host, int Port, bool UseTls)
{
    public const string ConnectionName = "smtp";

    public static SmtpEndpoint FromConfiguration(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(ConnectionName);
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "smtp" or "smtps" && uri.Host.Length > 0)
        {
            return new SmtpEndpoint(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 25 : uri.Port, uri.Scheme == "smtps");
        }

        // Aspire's MailDev resource writes Endpoint=smtp://host:port.
        if (value?.StartsWith("Endpoint=", StringComparison.OrdinalIgnoreCase) == true)
        {
            return FromConfiguration(new ConfigurationBuilder()
                .AddInMemoryCollection([new($"ConnectionStrings:{ConnectionName}", value["Endpoint=".Length..].Split(';')[0])]).Build());
        }

        throw new InvalidOperationException(
            $"ConnectionStrings__{ConnectionName} is missing or is not an smtp://host:port address. " +
            "Start the service through the AppHost (./eng/run.sh), which starts a local SMTP server.");
    }
}
