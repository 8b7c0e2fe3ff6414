global using PrivacySuite.Contracts;
global using PrivacySuite.Consent.Model;
