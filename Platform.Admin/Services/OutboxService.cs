using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>The outbox: mail the server kept because no SMTP server is configured, newest first.</summary>
public class OutboxService(BaasClient client)
{
    public const int PageSize = 50;

    public virtual Task<OutboxPage> ListAsync(string? cursor = null, CancellationToken cancellationToken = default) =>
        client.Admin.Outbox.ListAsync(PageSize, cursor, cancellationToken);
}
