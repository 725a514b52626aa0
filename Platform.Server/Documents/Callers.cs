namespace Platform.Server.Documents;

/// <summary>Who is calling, from the authenticated request.</summary>
internal static class Callers
{
    /// <summary>
    /// Only admins and service keys reach the documents API until app users exist (the endpoints'
    /// authorization policy guarantees it), and both are privileged.
    /// </summary>
    public static Caller From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Caller.Service;
    }
}
