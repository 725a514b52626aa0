using MudBlazor;

namespace Platform.Admin.Layout;

/// <summary>One entry of the navigation drawer.</summary>
/// <param name="Title">The link text (also the page's h1).</param>
/// <param name="Href">The page's address relative to <c>/admin/</c> ("" is the overview).</param>
/// <param name="Icon">A MudBlazor icon (an SVG path).</param>
public sealed record NavItem(string Title, string Href, string Icon);

/// <summary>The drawer's pages, in order. A new page adds its line here.</summary>
public static class DashboardNav
{
    public static IReadOnlyList<NavItem> Items { get; } =
    [
        new("Overview", "", Icons.Material.Filled.Dashboard),
        new("Collections", "collections", Icons.Material.Filled.Storage),
        new("Documents", "documents", Icons.Material.Filled.TableRows),
        new("Realtime", "realtime", Icons.Material.Filled.Sensors),
        new("Functions", "functions", Icons.Material.Filled.Functions),
        new("Users", "users", Icons.Material.Filled.People),
        new("API keys", "apikeys", Icons.Material.Filled.Key),
        new("Audit log", "audit", Icons.Material.Filled.History),
        new("Settings", "settings", Icons.Material.Filled.Settings),
        new("Admins", "admins", Icons.Material.Filled.AdminPanelSettings),
        new("Outbox", "outbox", Icons.Material.Filled.Outbox),
    ];
}
