using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary>
/// Validates every options class before the host starts, so an operator with a bad setting reads one line
/// naming the key and the rule (and the process exits with 1) instead of a host crash with a stack trace.
/// </summary>
public static partial class ConfigurationCheck
{
    /// <summary>Runs the start-up validators; on failure writes one line per bad key to <paramref name="error"/> and returns false.</summary>
    public static bool TryValidate(IServiceProvider services, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return true;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or AggregateException)
        {
            foreach (var line in Describe(ex))
            {
                error.WriteLine(line);
            }

            return false;
        }
    }

    /// <summary>One line per failure: <c>Invalid configuration: Baas:Auth:AccessTokenLifetime: must be ...</c>.</summary>
    public static IEnumerable<string> Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var failures = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [exception];
        foreach (var failure in failures)
        {
            if (failure is OptionsValidationException validation)
            {
                var section = validation.OptionsType.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as string;
                foreach (var message in validation.Failures)
                {
                    yield return "Invalid configuration: " + Line(section, validation.OptionsType, message);
                }
            }
            else
            {
                // Binding errors ("Failed to convert configuration value at 'Baas:X' to type ...") already name the key.
                yield return "Invalid configuration: " + OneLine(failure.Message);
            }
        }
    }

    private static string Line(string? section, Type optionsType, string message)
    {
        // DataAnnotations: "DataAnnotation validation failed for 'XOptions' members: 'Key' with the error: 'rule'."
        var annotated = AnnotationFailure().Match(message);
        if (annotated.Success)
        {
            return KeyLine(section, annotated.Groups["members"].Value, annotated.Groups["rule"].Value);
        }

        // A validator that names the full key itself ("Baas:Documents:MaxBytes: ...") is printed as it is.
        if (section is null || message.StartsWith(section + ":", StringComparison.Ordinal))
        {
            return OneLine(message);
        }

        // The generated validators (OptionsValidation): "Key: rule", whose rule names the member as "XOptions.Key" (the
        // generator's display name): written as the reflection-based check wrote it, "The field Key must be ...".
        var generated = GeneratedFailure().Match(message);
        if (generated.Success)
        {
            return KeyLine(section, generated.Groups["members"].Value, generated.Groups["rule"].Value.Replace(optionsType.Name + ".", string.Empty, StringComparison.Ordinal));
        }

        return section + ": " + OneLine(message);
    }

    private static string KeyLine(string? section, string members, string rule)
    {
        var keys = members.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var key = string.Join(", ", keys.Select(k => section is null ? k : $"{section}:{k}"));
        return $"{key}: {OneLine(rule)}";
    }

    private static string OneLine(string text) => WhiteSpace().Replace(text, " ").Trim();

    [GeneratedRegex(@"members: '(?<members>[^']*)' with the error: '(?<rule>.*)'\.?$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex AnnotationFailure();

    [GeneratedRegex(@"^(?<members>[A-Za-z0-9_:.]+(?:, [A-Za-z0-9_:.]+)*): (?<rule>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex GeneratedFailure();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex WhiteSpace();
}
