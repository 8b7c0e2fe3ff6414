using System.Net;
using System.Security.Cryptography.X509Certificates;
using MailKit.Security;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// The SMTP server from <c>ConnectionStrings__smtp</c>: <c>smtp://host:port</c> (STARTTLS when the server offers it),
/// <c>smtp://user:password@host:port</c> (STARTTLS required before AUTH: a server without it is refused, so the password
/// never crosses in plain text) or <c>smtps://user:password@host:port</c> (TLS from the first byte, as on port 465).
/// User and password are percent-encoded, as in any URI. Never printed: <see cref="ToString"/> leaves the password out.
/// </summary>
public sealed class SmtpEndpoint
{
    public const string ConnectionName = "smtp";

    private SmtpEndpoint(string host, int port, SecureSocketOptions security, NetworkCredential? credentials)
    {
        Host = host;
        Port = port;
        Security = security;
        Credentials = credentials;
    }

    public string Host { get; }

    public int Port { get; }

    public SecureSocketOptions Security { get; }

    /// <summary>Null when the server takes mail without AUTH (a local development server).</summary>
    public NetworkCredential? Credentials { get; }

    /// <summary>
    /// A certificate trusted for this server besides the system's roots (a relay with a private or self-signed
    /// certificate); its host name and dates are still checked. Null: the system's roots only.
    /// </summary>
    public X509Certificate2? TrustedCertificate { get; private init; }

    public override string ToString() => $"{(Security == SecureSocketOptions.SslOnConnect ? "smtps" : "smtp")}://{Host}:{Port}";

    /// <summary>The configured server; null when none is configured; an error when the setting is not an SMTP address.</summary>
    public static SmtpEndpoint? FromConfiguration(IConfiguration configuration, string? trustedCertificatePath)
    {
        var value = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // Aspire's MailDev resource may write Endpoint=smtp://host:port.
        if (value.StartsWith("Endpoint=", StringComparison.OrdinalIgnoreCase))
        {
            value = value["Endpoint=".Length..].Split(';')[0];
        }

        // The message names the expected form only: the value may hold a password.
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("smtp" or "smtps") || uri.Host.Length == 0)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings__{ConnectionName} is not an smtp://[user:password@]host:port address; fix it, or leave it unset to run without e-mail.");
        }

        NetworkCredential? credentials = null;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                throw new InvalidOperationException(
                    $"ConnectionStrings__{ConnectionName} names a user without a password (or the reverse): give both, percent-encoded, as smtp://user:password@host:port.");
            }

            credentials = new NetworkCredential(Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]));
        }

        var security = uri.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect
            : credentials is not null ? SecureSocketOptions.StartTls
            : SecureSocketOptions.StartTlsWhenAvailable;
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (uri.Scheme == "smtps" ? 465 : 25) : uri.Port;
        return new SmtpEndpoint(uri.Host, port, security, credentials)
        {
            TrustedCertificate = string.IsNullOrEmpty(trustedCertificatePath) ? null : X509Certificate2.CreateFromPem(File.ReadAllText(trustedCertificatePath)),
        };
    }
}
