global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.EntityFrameworkCore;
global using Microsoft.Extensions.Options;
global using PrivacySuite.Contracts;
global using PrivacySuite.Vault.Infrastructure;
global using PrivacySuite.ServiceDefaults.Data;
global using PrivacySuite.ServiceDefaults.Messaging;
global using PrivacySuite.ServiceDefaults.Input;
