global using System.Text.Json;
global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.Extensions.Options;
global using PrivacySuite.PrivacyCentre.Infrastructure;
