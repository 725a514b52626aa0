namespace Platform.Admin.Components;

/// <summary>The page to come back to after sign-in, kept as a path relative to the dashboard's base address.</summary>
public static class ReturnUrls
{
    /// <summary>The sign-in page's address for coming back to <paramref name="relativeUrl"/>.</summary>
    public static string SignIn(string relativeUrl, bool expired = false)
    {
        var query = new List<string>();
        if (IsSafe(relativeUrl) && relativeUrl.Length > 0 && !relativeUrl.StartsWith("signin", StringComparison.OrdinalIgnoreCase))
        {
            query.Add("returnUrl=" + Uri.EscapeDataString(relativeUrl));
        }

        if (expired)
        {
            query.Add("expired=true");
        }

        return query.Count == 0 ? "signin" : "signin?" + string.Join('&', query);
    }

    /// <summary>
    /// Whether <paramref name="relativeUrl"/> stays inside the dashboard: a relative path, not an absolute URL, not
    /// protocol-relative (<c>//evil</c>), not rooted, no backslashes or control characters. Anything else is
    /// replaced by the overview, so a crafted sign-in link cannot send an admin elsewhere.
    /// </summary>
    public static bool IsSafe(string? relativeUrl) =>
        relativeUrl is not null
        && !relativeUrl.StartsWith('/')
        && !relativeUrl.Contains('\\', StringComparison.Ordinal)
        && !relativeUrl.Contains(':', StringComparison.Ordinal)
        && !relativeUrl.Any(char.IsControl);

    /// <summary><paramref name="returnUrl"/> when it is safe, else the overview (the empty relative path).</summary>
    public static string Resolve(string? returnUrl) => IsSafe(returnUrl) ? returnUrl! : string.Empty;
}
