using MudBlazor;

namespace Platform.Admin.Layout;

/// <summary>The dashboard's palettes: MudBlazor's defaults with contrast checked by the axe scans (WCAG AA).</summary>
public static class DashboardTheme
{
    public static MudTheme Create() => new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#283593",
            Secondary = "#00695c",
            AppbarBackground = "#283593",
            TextSecondary = "rgba(0,0,0,0.7)",
            // Alerts draw text in these colours on a light tint of them: MudBlazor's defaults are too light for AA.
            Info = "#01579b",
            Success = "#1b5e20",
            Warning = "#8a4500",
            Error = "#b71c1c",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            Secondary = "#80cbc4",
            AppbarBackground = "#1e1e2d",
            TextPrimary = "rgba(255,255,255,0.87)",
            TextSecondary = "rgba(255,255,255,0.75)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"] },
        },
    };
}
