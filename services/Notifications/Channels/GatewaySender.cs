using System.Net;
using System.Net.Sockets;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// Push and SMS through HTTP gateways found by service discovery (<c>services__pushgateway__http__0</c>,
/// <c>services__smsgateway__http__0</c>): <c>POST /v1/messages</c> with an Idempotency-Key that is the same on every attempt.
/// </summary>
public sealed class GatewaySender(string channel, string gatewayName, IHttpClientFactory clients, IConfiguration configuration) : IChannelSender
{
    public string Channel => channel;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken cancellationToken)
    {
        if (!configuration.HasServiceEndpoint(gatewayName))
        {
            return SendOutcome.NotConfigured;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{gatewayName}/v1/messages")
        {
            Content = JsonContent.Create(new GatewayMessage(message.Address, message.Notice.Subject, message.Notice.Body, message.Notice.Language)),
        };
        request.Headers.Add("Idempotency-Key", message.DeduplicationKey);
        try
        {
            using var response = await clients.CreateClient(gatewayName).SendAsync(request, cancellationToken);
            return response.StatusCode switch
            {
                _ when response.IsSuccessStatusCode => SendOutcome.Sent,
                HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => SendOutcome.Unavailable,
                _ => SendOutcome.Rejected,
            };
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return SendOutcome.Unavailable;
        }
        catch (HttpRequestException)
        {
            // The connection broke after the request may have reached the gateway.
            return SendOutcome.InDoubt;
        }
    }

    private sealed record GatewayMessage(string To, string Title, string Body, string Language);
}
