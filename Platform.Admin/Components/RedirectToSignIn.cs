using Microsoft.AspNetCore.Components;

namespace Platform.Admin.Components;

/// <summary>Rendered instead of a protected page while signed out: goes to sign-in, keeping the page to come back to.</summary>
public sealed class RedirectToSignIn : ComponentBase
{
    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    protected override void OnInitialized() =>
        Navigation.NavigateTo(ReturnUrls.SignIn(Navigation.ToBaseRelativePath(Navigation.Uri)), new NavigationOptions { ReplaceHistoryEntry = true });
}
