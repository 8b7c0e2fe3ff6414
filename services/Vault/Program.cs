var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddVault();

var app = builder.Build();

if (PrivacySuite.Vault.VaultCommands.IsCommand(args))
{
    return await PrivacySuite.Vault.VaultCommands.RunAsync(app.Services, Console.Out, CancellationToken.None);
}

app.MapDefaultEndpoints();
app.MapVaultApi();

app.Run();
return 0;

/// <summary>Visible to tests through WebApplicationFactory.</summary>
public partial class Program;
