var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRetention();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRetentionApi();

app.Run();

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
