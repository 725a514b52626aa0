using Platform.Sdk;
using Platform.Sdk.Admin;

namespace Platform.Admin.Services;

/// <summary>The audit log, newest first, filtered by actor, target and action.</summary>
public class AuditService(BaasClient client)
{
    public const int PageSize = 50;

    public virtual Task<AuditPage> ListAsync(string? actor, string? target, string? action, string? cursor = null, CancellationToken cancellationToken = default) =>
        client.Admin.Audit.ListAsync(
            new AuditQuery { Actor = Clean(actor), Target = Clean(target), Action = Clean(action), Limit = PageSize, Cursor = cursor },
            cancellationToken);

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
