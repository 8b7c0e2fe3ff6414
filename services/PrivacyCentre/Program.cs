using PrivacySuite.PrivacyCentre.Apis;
using PrivacySuite.PrivacyCentre.Extensions;
using PrivacySuite.ServiceDefaults.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPrivacyCentre();

var app = builder.Build();

app.UseOwnPages();
app.MapDefaultEndpoints();
app.MapSignInApi();
app.MapPersonApi();
app.MapGuardianApi();
app.MapReceiptApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
