global using Microsoft.EntityFrameworkCore;
global using PrivacySuite.Contracts;
global using PrivacySuite.Incidents.Infrastructure;
global using PrivacySuite.Incidents.Model;
global using PrivacySuite.ServiceDefaults.Data;
global using PrivacySuite.ServiceDefaults.Messaging;
global using PrivacySuite.ServiceDefaults.Domain;
