using System.Text.Json.Nodes;
using Platform.Server.Auth;

namespace Platform.Server.Audit;

/// <summary>Records an admin write made over HTTP: the actor and IP come from the request.</summary>
public static class AuditHttp
{
    /// <summary>Records <paramref name="action"/> on <paramref name="target"/> by the caller of <paramref name="context"/> (see <see cref="IAuditLog.RecordAsync"/>).</summary>
    public static Task AuditAsync(this HttpContext context, string action, string target, JsonNode? before = null, JsonNode? after = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (actor, actorId) = AuditLog.ActorOf(context.GetBaasCaller());
        var entry = new AuditEntry(action, target, actor, before, after)
        {
            ActorId = actorId,
            Ip = context.Connection.RemoteIpAddress?.ToString(),
        };

        // Not the request's token: a client that hangs up after its write succeeded must not lose the record.
        return context.RequestServices.GetRequiredService<IAuditLog>().RecordAsync(entry, CancellationToken.None);
    }
}
