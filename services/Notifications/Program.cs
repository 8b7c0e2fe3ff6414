using PrivacySuite.Notifications.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNotifications();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapNoticesApi();
app.MapBulletinsApi();
app.MapDeliveriesApi();
app.MapPagesApi();
app.MapWebhooksApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
