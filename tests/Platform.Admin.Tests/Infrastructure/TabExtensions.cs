using Bunit;
using Microsoft.AspNetCore.Components;

namespace Platform.Admin.Tests.Infrastructure;

/// <summary>Opening a MudTabs tab in a rendered page.</summary>
public static class TabExtensions
{
    /// <summary>
    /// Clicks the tab whose header reads <paramref name="title"/> and waits until MudTabs shows it as active: MudTabs
    /// activates a panel in an async handler, so on a loaded machine its render can land after <c>Click</c> returns.
    /// </summary>
    public static void OpenTab<TComponent>(this IRenderedComponent<TComponent> page, string title) where TComponent : IComponent
    {
        page.FindAll(".mud-tab").First(t => t.TextContent.Trim() == title).Click();
        page.WaitForAssertion(() => Assert.Equal(title, page.Find(".mud-tab-active").TextContent.Trim()));
    }
}
