using System.Diagnostics.CodeAnalysis;

namespace Platform.Sdk;

/// <summary>
/// The server address of <see cref="BaasClientOptions.BaseUrl"/>: assign a <see cref="Uri"/> or a string
/// (<c>BaseUrl = "http://localhost:8090"</c> and <c>BaseUrl = new Uri("http://localhost:8090")</c> both work).
/// </summary>
public sealed class BaasUrl : IEquatable<BaasUrl>
{
    /// <summary>Wraps <paramref name="uri"/>.</summary>
    public BaasUrl(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        Uri = uri;
    }

    /// <summary>Parses <paramref name="url"/> (absolute, e.g. <c>http://localhost:8090</c>; the client refuses a relative one).</summary>
    /// <exception cref="UriFormatException"><paramref name="url"/> is not a URL.</exception>
    [SuppressMessage("Design", "CA1054:URI-like parameters should not be strings", Justification = "Accepting a string is the point of this type.")]
    public BaasUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        Uri = new Uri(url, UriKind.RelativeOrAbsolute);
    }

    /// <summary>The address.</summary>
    public Uri Uri { get; }

    /// <summary>Wraps a <see cref="System.Uri"/> (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(uri))]
    public static implicit operator BaasUrl?(Uri? uri) => FromUri(uri);

    /// <summary>Parses a string (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(url))]
    [SuppressMessage("Usage", "CA2225:Operator overloads have named alternates", Justification = "FromString is the alternate.")]
    public static implicit operator BaasUrl?(string? url) => FromString(url);

    /// <summary>The address as a <see cref="System.Uri"/> (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(url))]
    public static implicit operator Uri?(BaasUrl? url) => url?.Uri;

    /// <summary>Wraps a <see cref="System.Uri"/> (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(uri))]
    public static BaasUrl? FromUri(Uri? uri) => uri is null ? null : new BaasUrl(uri);

    /// <summary>Parses a string (null stays null).</summary>
    [return: NotNullIfNotNull(nameof(url))]
    [SuppressMessage("Design", "CA1054:URI-like parameters should not be strings", Justification = "Accepting a string is the point of this type.")]
    public static BaasUrl? FromString(string? url) => url is null ? null : new BaasUrl(url);

    /// <summary>The address as a <see cref="System.Uri"/>.</summary>
    public Uri ToUri() => Uri;

    /// <inheritdoc/>
    public bool Equals(BaasUrl? other) => other is not null && Uri.Equals(other.Uri);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BaasUrl other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Uri.GetHashCode();

    /// <inheritdoc/>
    public override string ToString() => Uri.ToString();
}
