using MudBlazor;
using MudBlazor.Utilities;
using Platform.Admin.Layout;

namespace Platform.Admin.Tests.Layout;

/// <summary>
/// WCAG AA contrast (4.5:1) of every colour the pages use, in both modes, checked on the palette itself: the axe scans
/// see only the buttons and alerts a journey happens to show, and dark mode is scanned on few pages.
/// </summary>
public sealed class DashboardThemeTests
{
    private const double AA = 4.5;

    public static TheoryData<string, string> Colours()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "light", "dark" })
        {
            foreach (var colour in new[] { "Primary", "Secondary", "Info", "Success", "Warning", "Error" })
            {
                data.Add(mode, colour);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Colours))]
    public void FilledText_OutlinedText_AndAlertText_MeetAA(string mode, string colour)
    {
        var theme = DashboardTheme.Create();
        Palette palette = mode == "dark" ? theme.PaletteDark : theme.PaletteLight;
        var main = Read(palette, colour);
        var contrastText = Read(palette, colour + "ContrastText");
        var darken = Read(palette, colour + "Darken");
        var surface = Read(palette, "Surface");
        var background = Read(palette, "Background");

        // A filled button: its contrast text on the colour.
        Assert.True(Contrast(contrastText, main) >= AA, $"{mode} {colour}: filled text {Contrast(contrastText, main):F2}:1");
        // A text or outlined button, a link: the colour on the page and on a paper.
        Assert.True(Contrast(main, surface) >= AA, $"{mode} {colour}: on the surface {Contrast(main, surface):F2}:1");
        Assert.True(Contrast(main, background) >= AA, $"{mode} {colour}: on the background {Contrast(main, background):F2}:1");
        if (colour is "Primary" or "Secondary")
        {
            // No alert has these colours; their darken tone is a filled button's hover fill.
            Assert.True(Contrast(contrastText, darken) >= AA, $"{mode} {colour}: hovered filled text {Contrast(contrastText, darken):F2}:1");
        }
        else
        {
            // An alert: the darken tone on a light tint (about a tenth) of the colour over the surface.
            var tint = Mix(main, surface, 0.12);
            Assert.True(Contrast(darken, tint) >= AA, $"{mode} {colour}: alert text {Contrast(darken, tint):F2}:1");
        }
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public void NavigationText_MeetsAA_AlsoWhenHovered(string mode)
    {
        var theme = DashboardTheme.Create();
        Palette palette = mode == "dark" ? theme.PaletteDark : theme.PaletteLight;
        var drawer = Read(palette, "DrawerBackground");
        // A hovered link lays a light veil (about a tenth) of the text's colour over the drawer.
        var hovered = Mix(Read(palette, "DrawerText"), drawer, 0.1);
        var text = Over(Read(palette, "DrawerText"), drawer);

        Assert.True(Contrast(text, drawer) >= AA, $"{mode}: navigation text {Contrast(text, drawer):F2}:1");
        Assert.True(Contrast(Over(Read(palette, "DrawerText"), hovered), hovered) >= AA, $"{mode}: hovered navigation text {Contrast(text, hovered):F2}:1");
    }

    private static MudColor Over(MudColor top, MudColor bottom) => Mix(top, bottom, top.A / 255.0);

    private static MudColor Read(Palette palette, string property)
    {
        var value = typeof(Palette).GetProperty(property)!.GetValue(palette)!;
        return value as MudColor ?? new MudColor(value.ToString()!);
    }

    private static MudColor Mix(MudColor top, MudColor bottom, double alpha) =>
        new((byte)Math.Round(top.R * alpha + bottom.R * (1 - alpha)),
            (byte)Math.Round(top.G * alpha + bottom.G * (1 - alpha)),
            (byte)Math.Round(top.B * alpha + bottom.B * (1 - alpha)),
            (byte)255);

    private static double Contrast(MudColor a, MudColor b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    private static double Luminance(MudColor c)
    {
        static double Channel(byte value)
        {
            var v = value / 255.0;
            return v <= 0.03928 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
        }

        return 0.2126 * Channel(c.R) + 0.7152 * Channel(c.G) + 0.0722 * Channel(c.B);
    }
}
