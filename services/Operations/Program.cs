using PrivacySuite.Operations.Apis;
using PrivacySuite.Operations.Extensions;
using PrivacySuite.ServiceDefaults.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOperationsConsole();

var app = builder.Build();

app.UseOwnPages();
app.MapDefaultEndpoints();
app.MapSessionApi();
app.MapServicesApi();
app.MapQueuesApi();
app.MapRegionsApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
