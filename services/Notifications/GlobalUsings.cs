global using Microsoft.EntityFrameworkCore;
global using PrivacySuite.Contracts;
global using PrivacySuite.Notifications.Infrastructure;
global using PrivacySuite.ServiceDefaults.Data;
global using PrivacySuite.ServiceDefaults.Messaging;
global using System.Net.Http.Json;
global using Microsoft.Extensions.Options;
global using PrivacySuite.ServiceDefaults.Domain;
