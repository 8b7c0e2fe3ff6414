global using PrivacySuite.Contracts;
