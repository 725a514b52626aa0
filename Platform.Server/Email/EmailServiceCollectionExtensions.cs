using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Server.Hosting;
using Platform.Server.Storage;

namespace Platform.Server.Email;

public static class EmailServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="IEmailSender"/>: SMTP when <c>Baas:Email:Smtp:Host</c> is set, else the outbox
    /// (<c>_outbox</c>, read at <c>GET /api/admin/outbox</c>). Needs an <see cref="IDocumentStore"/>.
    /// </summary>
    public static IServiceCollection AddBaasEmail(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<EmailOptions>()
            .Bind(configuration.GetSection(EmailOptions.Section))
            .ValidateWith(new EmailOptionsValidator())
            .ValidateOnStart();
        services.AddOptions<SmtpOptions>()
            .Bind(configuration.GetSection(SmtpOptions.Section))
            .ValidateWith(new SmtpOptionsValidator())
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EmailOutbox>();
        services.TryAddSingleton<SmtpEmailSender>();
        services.TryAddSingleton<OutboxEmailSender>();
        services.TryAddSingleton<IEmailSender>(sp =>
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SmtpOptions>>().Value.Enabled
                ? sp.GetRequiredService<SmtpEmailSender>()
                : sp.GetRequiredService<OutboxEmailSender>());
        services.AddStartupTask<OutboxInitializer>();
        return services;
    }
}

/// <summary>Creates <c>_outbox</c>, also with SMTP, so the outbox API answers (empty) either way.</summary>
internal sealed class OutboxInitializer(IDocumentStore store) : IStartupTask
{
    public int Order => StartupTaskOrder.AfterStore;

    public Task RunAsync(CancellationToken cancellationToken) => store.CreateCollectionAsync(EmailOutbox.Collection, cancellationToken);
}
