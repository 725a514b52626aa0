using System.Net;
using System.Net.Sockets;

namespace Platform.Server.Functions.Runtime;

/// <summary>Resolves host names for <c>ctx.fetch</c> (replaceable in tests, so no test depends on real DNS).</summary>
public interface IFetchHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default);
}

/// <summary>The system resolver.</summary>
internal sealed class DnsFetchHostResolver : IFetchHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>A <c>ctx.fetch</c> the sandbox refused (allowlist, scheme, address class): reaches the script as <c>fetch_refused</c>.</summary>
public sealed class FetchRefusedException : Exception
{
    public FetchRefusedException(string message)
        : base(message)
    {
    }

    public FetchRefusedException()
    {
    }

    public FetchRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The SSRF guard of <c>ctx.fetch</c>. It runs in the HTTP handler's connect step, after name resolution
/// and before any socket is opened, so the address actually dialled is the one checked (a name that
/// re-resolves to a private address later is checked again on that connection). Loopback, private,
/// link-local (cloud metadata at 169.254.169.254 included), CGNAT, unspecified, multicast, broadcast and
/// reserved addresses, and the IPv6 forms that carry them (IPv4-mapped, IPv4-compatible, NAT64, 6to4), are refused unless the
/// function's allowlist names that IP, or <c>localhost</c>, literally.
/// </summary>
public sealed class FetchAddressGuard(IFetchHostResolver resolver)
{
    private static readonly byte[] Nat64WellKnownPrefix = [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] Nat64LocalUsePrefix = [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01];

    /// <summary>The request option carrying the literal hosts (IPs, <c>localhost</c>) the function's allowlist names.</summary>
    public static readonly HttpRequestOptionsKey<IReadOnlySet<string>> LiteralHostsKey = new("Baas.Functions.FetchLiteralHosts");

    /// <summary>Why <paramref name="address"/> may not be reached, or null when it is a public unicast address.</summary>
    public static string? BlockedClass(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return BlockedClassV4(address.MapToIPv4());
            }

            var bytes = address.GetAddressBytes();
            if (address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any))
            {
                return "unspecified";
            }

            if (address.Equals(IPAddress.IPv6Loopback))
            {
                return "loopback";
            }

            // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks): judge the embedded IPv4 address.
            if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
            {
                return BlockedClassV4(new IPAddress(bytes.AsSpan(12, 4))) ?? "reserved";
            }

            // Forms that carry an IPv4 address to a gateway that forwards to it: NAT64 (64:ff9b::/96) and 6to4
            // (2002::/16) are judged by the embedded address, so 64:ff9b::a9fe:a9fe is the metadata endpoint it names.
            if (bytes.AsSpan(0, 12).SequenceEqual(Nat64WellKnownPrefix))
            {
                return BlockedClassV4(new IPAddress(bytes.AsSpan(12, 4)));
            }

            if (bytes[0] == 0x20 && bytes[1] == 0x02)
            {
                return BlockedClassV4(new IPAddress(bytes.AsSpan(2, 4)));
            }

            // NAT64 for local use (64:ff9b:1::/48) only translates into the operator's own networks.
            if (bytes.AsSpan(0, 6).SequenceEqual(Nat64LocalUsePrefix))
            {
                return "private";
            }

            // Teredo (2001::/32) tunnels to an IPv4 address hidden in the IPv6 one; discard-only (100::/64) goes nowhere.
            if ((bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0 && bytes[3] == 0)
                || (bytes[0] == 0x01 && bytes.AsSpan(1, 7).IndexOfAnyExcept((byte)0) < 0))
            {
                return "reserved";
            }

            if ((bytes[0] & 0xFE) == 0xFC)
            {
                return "private";
            }

            if (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80)
            {
                return "link-local";
            }

            if (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0xC0)
            {
                return "private";
            }

            if (bytes[0] == 0xFF)
            {
                return "multicast";
            }

            return null;
        }

        return address.AddressFamily == AddressFamily.InterNetwork ? BlockedClassV4(address) : "unsupported";
    }

    private static string? BlockedClassV4(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 => "unspecified",
            127 => "loopback",
            10 => "private",
            172 when b[1] is >= 16 and <= 31 => "private",
            192 when b[1] == 168 => "private",
            169 when b[1] == 254 => "link-local",
            100 when b[1] is >= 64 and <= 127 => "shared (CGNAT)",
            192 when b[1] == 0 && b[2] == 0 => "reserved",
            198 when b[1] is 18 or 19 => "reserved",
            >= 224 and <= 239 => "multicast",
            >= 240 => "reserved",
            _ => null,
        };
    }

    /// <summary>The host part of an allowlist entry (<c>host</c>, <c>host:port</c>, <c>[v6]</c>, <c>[v6]:port</c>) and its port, if any.</summary>
    public static (string Host, int? Port) ParseAllowlistEntry(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = entry.Trim();
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close > 0)
            {
                var host = text[1..close];
                var rest = text[(close + 1)..];
                return rest.StartsWith(':') && int.TryParse(rest[1..], System.Globalization.CultureInfo.InvariantCulture, out var p) ? (host, p) : (host, null);
            }
        }

        var colon = text.LastIndexOf(':');
        if (colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon
            && int.TryParse(text[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            return (text[..colon], port);
        }

        return (text, null);
    }

    /// <summary>True when <paramref name="host"/> is an IP literal or <c>localhost</c>: names that lift the guard when listed.</summary>
    public static bool IsLiteralHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out _);

    /// <summary>The normal form used to compare literal hosts (IPv6 without brackets, lower case).</summary>
    public static string NormalizeHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var h = host.Trim('[', ']');
        return IPAddress.TryParse(h, out var ip) ? ip.ToString() : h.ToLowerInvariant();
    }

    /// <summary>The addresses the connection may dial, or a <see cref="FetchRefusedException"/>.</summary>
    public async Task<IPAddress[]> CheckAsync(string host, IReadOnlySet<string>? literalHosts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var normalized = NormalizeHost(host);
        var exempt = literalHosts is not null && IsLiteralHost(normalized) && literalHosts.Contains(normalized);
        IPAddress[] addresses;
        if (IPAddress.TryParse(normalized, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            addresses = await resolver.ResolveAsync(normalized, cancellationToken).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                throw new FetchRefusedException($"The host '{host}' does not resolve to any address.");
            }
        }

        if (!exempt)
        {
            // One blocked address refuses the name: a name that mixes public and private answers is how DNS rebinding starts.
            foreach (var address in addresses)
            {
                if (BlockedClass(address) is { } blocked)
                {
                    throw new FetchRefusedException(
                        $"The host '{host}' resolves to {address}, a {blocked} address; functions may reach it only when fetchAllowlist names that IP (or 'localhost') literally.");
                }
            }
        }

        return addresses;
    }

    /// <summary>The connect step of the fetch handler: check, then dial.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.InitialRequestMessage.Options.TryGetValue(LiteralHostsKey, out var literals);
        var addresses = await CheckAsync(context.DnsEndPoint.Host, literals, cancellationToken).ConfigureAwait(false);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
