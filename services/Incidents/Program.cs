using PrivacySuite.Incidents.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIncidents();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapIncidentsApi();
app.MapTimelineApi();
app.MapNoticeCampaignApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
