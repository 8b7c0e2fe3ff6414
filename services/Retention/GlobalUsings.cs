global using Microsoft.EntityFrameworkCore;
global using PrivacySuite.Contracts;
global using PrivacySuite.Retention.Infrastructure;
global using PrivacySuite.ServiceDefaults.Data;
global using PrivacySuite.ServiceDefaults.Messaging;
global using Microsoft.Extensions.Options;
global using PrivacySuite.ServiceDefaults.Domain;
