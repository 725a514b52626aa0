namespace Platform.Admin.Components;

/// <summary>
/// Marks a page that works signed out (sign-in, setup). Every other page requires a signed-in admin: the router
/// sends signed-out visitors to sign-in with the page as return URL.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PublicPageAttribute : Attribute;
