using Microsoft.JSInterop;

namespace Platform.Admin.Services;

/// <summary>Light or dark mode, remembered in localStorage (the only thing the dashboard keeps there).</summary>
public class ThemeService(IJSRuntime js)
{
    /// <summary>The localStorage key; it holds <c>dark</c> or <c>light</c> and nothing else.</summary>
    public const string StorageKey = "baas-admin-theme";

    /// <summary>The remembered choice, or null when the user never chose (then the system preference applies).</summary>
    public virtual async Task<bool?> GetDarkModeAsync()
    {
        var stored = await js.InvokeAsync<string?>("localStorage.getItem", StorageKey);
        return stored switch
        {
            "dark" => true,
            "light" => false,
            _ => null,
        };
    }

    public virtual async Task SetDarkModeAsync(bool dark) =>
        await js.InvokeVoidAsync("localStorage.setItem", StorageKey, dark ? "dark" : "light");
}
