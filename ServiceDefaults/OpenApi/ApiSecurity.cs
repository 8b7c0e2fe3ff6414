using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.ServiceDefaults.OpenApi;

/// <summary>
/// Says in the OpenAPI document how the suite authenticates (<see cref="AuthenticationExtensions"/>): an API key header
/// for product backends, bearer tokens for people and services. Each operation gets the schemes its roles can use and
/// its roles as <c>x-roles</c>, read from the endpoint's authorization metadata, so the document cannot disagree with
/// the code; an anonymous endpoint gets none.
/// </summary>
internal sealed class ApiSecurity : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string ApiKeyScheme = "ApiKey";
    public const string BearerScheme = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        AddSchemes(document);
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        // As the authorization middleware reads it: any IAllowAnonymous wins.
        if (metadata.OfType<IAllowAnonymous>().Any() || context.Document is not { } document)
        {
            return Task.CompletedTask;
        }

        AddSchemes(document);
        var roles = RolesOf(metadata);
        // Null: the fallback policy, any authenticated caller.
        var schemes = roles is null
            ? [ApiKeyScheme, BearerScheme]
            : new[] { roles.Contains(SuiteRoles.ProductBackend) ? ApiKeyScheme : null, roles.Any(r => r != SuiteRoles.ProductBackend) ? BearerScheme : null }
                .OfType<string>().ToArray();
        operation.Security = schemes
            .Select(s => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(s, document)] = [] })
            .ToList();
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions["x-roles"] = new JsonNodeExtension(new JsonArray((roles ?? ["any authenticated caller"]).Select(r => (JsonNode)r).ToArray()));
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No credentials, or unknown ones" });
        operation.Responses.TryAdd("403", new OpenApiResponse { Description = "A caller without one of the roles in x-roles" });
        return Task.CompletedTask;
    }

    /// <summary>The roles every role requirement on the endpoint allows (each must be met), in a stable order; null when none names roles.</summary>
    private static string[]? RolesOf(IList<object> metadata)
    {
        var requirements = metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements)
            .Concat(metadata.OfType<IAuthorizationRequirementData>().SelectMany(d => d.GetRequirements()))
            .OfType<RolesAuthorizationRequirement>().Select(r => r.AllowedRoles)
            .Concat(metadata.OfType<IAuthorizeData>().Where(d => !string.IsNullOrWhiteSpace(d.Roles))
                .Select(d => d.Roles!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
        if (requirements.Count == 0)
        {
            return null;
        }

        var roles = requirements.Skip(1).Aggregate(requirements[0].ToHashSet(StringComparer.Ordinal), (all, next) =>
        {
            all.IntersectWith(next);
            return all;
        });
        return roles.Order(StringComparer.Ordinal).ToArray();
    }

    private static void AddSchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(ApiKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = AuthenticationExtensions.ApiKeyHeader,
            Description = "A product backend's API key (role product-backend).",
        });
        document.Components.SecuritySchemes.TryAdd(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "An ES256 JWT: a person's token from the suite's issuer (roles operator, on-call, privacy-officer, subject), "
                + "or another PrivacySuite service's own token (role service).",
        });
    }
}
