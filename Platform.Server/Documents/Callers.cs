using System.Text.Json.Nodes;
using Platform.Server.Auth;

namespace Platform.Server.Documents;

/// <summary>Who is calling, from the authenticated request (HTTP or a realtime connection).</summary>
public static class Callers
{
    /// <summary>The caller of this request: privileged, an app user, or an anonymous visitor.</summary>
    public static Caller From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return From(context.GetBaasCaller());
    }

    /// <summary>The documents' view of an authenticated caller; null means a visitor who is not signed in.</summary>
    public static Caller From(BaasCaller? caller) => caller switch
    {
        null => Caller.Anonymous,
        { Privileged: true } => Caller.Service,
        _ => new Caller(caller.Id, Privileged: false, AuthObject(caller)),
    };

    /// <summary>The rules' <c>auth</c>: <c>{ id, email, roles, anonymous, verified }</c>.</summary>
    public static JsonObject AuthObject(BaasCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new JsonObject
        {
            ["id"] = caller.Id,
            ["email"] = caller.Email,
            ["roles"] = new JsonArray([.. caller.Roles.Select(r => (JsonNode)JsonValue.Create(r))]),
            ["anonymous"] = caller.Anonymous,
            ["verified"] = caller.EmailVerified,
        };
    }
}
