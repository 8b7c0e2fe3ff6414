using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PrivacySuite.ServiceDefaults.Input;

/// <summary>
/// Request bodies are read as strictly as their OpenAPI schema reads: a non-nullable field without a default must be sent, a
/// non-nullable one may not be null (nor an element of a non-nullable list), enums are names and never numbers, numbers
/// are never strings, a field appears once, unknown fields are refused, and no string carries a control character.
/// A missing field that silently took a default is how a missing <c>isMinor</c> unmarked a minor (issue 18).
/// </summary>
public static class StrictJson
{
    public static IServiceCollection AddStrictJson(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => Apply(o.SerializerOptions));
        // After every service has added its own resolvers, so that the checks wrap them all.
        services.PostConfigure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o =>
            o.SerializerOptions.TypeInfoResolver = (o.SerializerOptions.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver())
                .WithAddedModifier(RequireNonNullable)
                .WithAddedModifier(CheckOnDeserialized));
        return services;
    }

    /// <summary>
    /// OpenAPI lists as required exactly what the reader requires (<see cref="RequireNonNullable"/>, <c>[Required]</c>):
    /// a nullable field without a default may be left out, and the schema must not say otherwise.
    /// </summary>
    public static Task OnlyRequiredAsRequired(Microsoft.OpenApi.OpenApiSchema schema, Microsoft.AspNetCore.OpenApi.OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Required is { Count: > 0 } required)
        {
            foreach (var property in context.JsonTypeInfo.Properties)
            {
                if (!property.IsRequired
                    && property.AttributeProvider?.IsDefined(typeof(System.ComponentModel.DataAnnotations.RequiredAttribute), inherit: true) != true)
                {
                    required.Remove(property.Name);
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The options every service reads requests with; public so that clients and tests can write the same JSON.</summary>
    public static void Apply(JsonSerializerOptions options)
    {
        // Not RespectRequiredConstructorParameters: that would make every nullable field mandatory too (see RequireNonNullable).
        options.RespectNullableAnnotations = true;
        options.AllowDuplicateProperties = false;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        // Ahead of the [JsonConverter] on each enum type, which would accept 0 for the first member.
        options.Converters.Insert(0, new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
    }

    /// <summary>True when <paramref name="value"/> holds a character no stored string may hold: C0/C1 controls other than tab, CR and LF, or a lone surrogate.</summary>
    public static bool HasForbiddenCharacter(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < ' ' ? c is not ('\t' or '\n' or '\r') : c is >= '\u007f' and <= '\u009f')
            {
                return true;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A constructor parameter that is neither nullable nor given a default must be sent: a missing <c>bool isMinor</c>
    /// is an error, never <c>false</c>. A nullable one may be left out and reads as null. OpenAPI lists the same fields
    /// as required, because it describes the request from these same contracts.
    /// </summary>
    private static void RequireNonNullable(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.Assembly == typeof(object).Assembly)
        {
            return;
        }

        var nullability = new NullabilityInfoContext();
        foreach (var property in typeInfo.Properties)
        {
            // Strict on what is read, not on what is written: a null the service itself answers with (an anonymous type
            // in a problem's extensions has no nullable annotations) must not turn a 409 into a 500.
            if (!property.PropertyType.IsValueType || Nullable.GetUnderlyingType(property.PropertyType) is not null)
            {
                property.IsGetNullable = true;
            }

            // Only what a request can set: an anonymous type (a problem's extensions) has no setter and is never read.
            if (property.AssociatedParameter is not { HasDefaultValue: false } parameter || property.IsRequired || property.Set is null)
            {
                continue;
            }

            var nullable = parameter.ParameterType.IsValueType
                ? Nullable.GetUnderlyingType(parameter.ParameterType) is not null
                : parameter.AttributeProvider is not ParameterInfo info || nullability.Create(info).WriteState != NullabilityState.NotNull;
            if (!nullable)
            {
                property.IsRequired = true;
            }
        }
    }

    /// <summary>
    /// After an object is read: no string of it holds a control character, and no list or map that its type says holds
    /// no nulls holds one (System.Text.Json leaves element nullability to the caller).
    /// </summary>
    private static void CheckOnDeserialized(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.Assembly == typeof(object).Assembly)
        {
            return;
        }

        var checks = new List<(JsonPropertyInfo Property, Func<object?, string?> Check)>();
        var nullability = new NullabilityInfoContext();
        foreach (var property in typeInfo.Properties)
        {
            if (property.Get is null || property.Set is null && property.AssociatedParameter is null)
            {
                continue;
            }

            var check = CheckFor(property, nullability);
            if (check is not null)
            {
                checks.Add((property, check));
            }
        }

        if (checks.Count == 0)
        {
            return;
        }

        var previous = typeInfo.OnDeserialized;
        typeInfo.OnDeserialized = value =>
        {
            previous?.Invoke(value);
            foreach (var (property, check) in checks)
            {
                if (check(property.Get!(value)) is { } problem)
                {
                    throw new JsonFieldException(property.Name, $"'{property.Name}' {problem}");
                }
            }
        };
    }

    private static Func<object?, string?>? CheckFor(JsonPropertyInfo property, NullabilityInfoContext context)
    {
        var type = property.PropertyType;
        if (type == typeof(string))
        {
            return v => v is string s && HasForbiddenCharacter(s) ? ControlMessage : null;
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        var info = property.AttributeProvider switch
        {
            PropertyInfo p => context.Create(p),
            FieldInfo f => context.Create(f),
            _ => null,
        };
        var (keyType, elementType, elementInfo) = ElementOf(type, info);
        if (elementType is null)
        {
            return null;
        }

        var nullsAllowed = elementType.IsValueType
            ? Nullable.GetUnderlyingType(elementType) is not null
            : elementInfo?.ReadState != NullabilityState.NotNull;
        var strings = elementType == typeof(string) || keyType == typeof(string);
        if (nullsAllowed && !strings)
        {
            return null;
        }

        return value =>
        {
            if (value is IDictionary map)
            {
                foreach (DictionaryEntry entry in map)
                {
                    if (entry.Key is string k && HasForbiddenCharacter(k) || entry.Value is string s && HasForbiddenCharacter(s))
                    {
                        return ControlMessage;
                    }

                    if (entry.Value is null && !nullsAllowed)
                    {
                        return NullMessage;
                    }
                }
            }
            else if (value is IEnumerable items)
            {
                foreach (var item in items)
                {
                    if (item is null && !nullsAllowed)
                    {
                        return NullMessage;
                    }

                    if (item is string s && HasForbiddenCharacter(s))
                    {
                        return ControlMessage;
                    }
                }
            }

            return null;
        };
    }

    private const string ControlMessage = "holds a control character or an unpaired surrogate; no stored text may.";
    private const string NullMessage = "holds a null where its schema allows none.";

    private static (Type? Key, Type? Element, NullabilityInfo? ElementInfo) ElementOf(Type type, NullabilityInfo? info)
    {
        if (type.IsArray)
        {
            return (null, type.GetElementType(), info?.ElementType);
        }

        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() is var d
            && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        if (dictionary is not null)
        {
            var args = dictionary.GetGenericArguments();
            var valueInfo = info is { GenericTypeArguments.Length: 2 } ? info.GenericTypeArguments[1] : null;
            return (args[0], args[1], valueInfo);
        }

        var enumerable = type.IsGenericType && type.GetGenericArguments().Length == 1
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is null)
        {
            return (null, null, null);
        }

        var elementInfo = info is { GenericTypeArguments.Length: 1 } ? info.GenericTypeArguments[0] : null;
        return (null, enumerable.GetGenericArguments()[0], elementInfo);
    }
}

/// <summary>A field that was read but may not be stored; the answer names it under <c>errors</c> as validation does.</summary>
public sealed class JsonFieldException(string field, string message) : JsonException(message)
{
    public string Field { get; } = field;
}
