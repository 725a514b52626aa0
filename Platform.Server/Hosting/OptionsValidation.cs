using Microsoft.Extensions.Options;

namespace Platform.Server.Hosting;

/// <summary>
/// How every options class is validated: by an <c>[OptionsValidator]</c> validator, whose code the options source
/// generator writes at build time from the class's DataAnnotations (the same attributes, messages and failures as
/// <c>ValidateDataAnnotations</c>, and <c>IValidatableObject</c>). The reflection-based check read each property
/// through a reflection-invoke stub that the JIT compiled at start-up, about 140 of them before the first 200
/// (issue 13, item 5; bench/README.md, "h/start8").
/// </summary>
public static class OptionsValidation
{
    /// <summary>Adds <paramref name="validator"/> to the options' validators (run by the start-up check and at first use).</summary>
    public static OptionsBuilder<TOptions> ValidateWith<TOptions>(this OptionsBuilder<TOptions> builder, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validator);
        builder.Services.AddSingleton(validator);
        return builder;
    }
}
