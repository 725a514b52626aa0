using MudBlazor;

namespace Platform.Admin.Layout;

/// <summary>The dashboard's palettes: MudBlazor's defaults with contrast checked by the axe scans (WCAG AA).</summary>
public static class DashboardTheme
{
    /// <summary>The text on filled buttons and chips in dark mode, whose fills are light.</summary>
    private const string DarkText = "#1e1e2d";

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
            // Light tones on the dark surfaces, with dark text on the filled ones: MudBlazor's dark defaults put white
            // text on light fills (2.3:1 on a primary button) and its error red reads 3.5:1 on a dark surface.
            Primary = "#b0b8e8",
            PrimaryContrastText = DarkText,
            Secondary = "#80cbc4",
            SecondaryContrastText = DarkText,
            Info = "#90caf9",
            InfoContrastText = DarkText,
            Success = "#a5d6a7",
            SuccessContrastText = DarkText,
            Warning = "#ffcc80",
            WarningContrastText = DarkText,
            Error = "#ffb4ab",
            ErrorContrastText = DarkText,
            // Alerts write their text in the "darken" tone on a tint of the colour; on a dark surface a darker tone
            // loses contrast, so it is the colour itself here.
            InfoDarken = "#90caf9",
            SuccessDarken = "#a5d6a7",
            WarningDarken = "#ffcc80",
            ErrorDarken = "#ffb4ab",
            AppbarBackground = "#1e1e2d",
            // MudBlazor's 50 % white reads 3.7:1 on a hovered navigation link.
            DrawerText = "rgba(255,255,255,0.75)",
            DrawerIcon = "rgba(255,255,255,0.75)",
            TextPrimary = "rgba(255,255,255,0.87)",
            TextSecondary = "rgba(255,255,255,0.75)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"] },
        },
    };
}
