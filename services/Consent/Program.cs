using PrivacySuite.Consent.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddConsent();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapConsentApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
