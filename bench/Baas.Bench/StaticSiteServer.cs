using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Baas.Bench;

/// <summary>
/// Serves a published Blazor WebAssembly app's <c>wwwroot</c> on loopback, the way the Baas server serves the dashboard:
/// the build's pre-compressed <c>.gz</c> file when the browser accepts gzip (Chromium asks for no brotli over http://),
/// <c>application/wasm</c> for streaming compilation, <c>index.html</c> for any other path. The dashboard suite's
/// <c>--floor</c> uses it for an empty <c>dotnet new blazorwasm</c> app: the runtime's own cold start on this machine.
/// </summary>
internal sealed class StaticSiteServer : IAsyncDisposable
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript",
        [".mjs"] = "text/javascript",
        [".css"] = "text/css",
        [".wasm"] = "application/wasm",
        [".json"] = "application/json",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
        [".woff2"] = "font/woff2",
    };

    private readonly string _root;
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public StaticSiteServer(string root)
    {
        _root = Path.GetFullPath(root);
        if (!File.Exists(Path.Combine(_root, "index.html")))
        {
            throw new InvalidOperationException($"{_root} holds no index.html: --floor needs the wwwroot of a published Blazor WebAssembly app.");
        }

        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RespondAsync(context));
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
            var file = Path.GetFullPath(Path.Combine(_root, relative));
            if (!file.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(file))
            {
                file = Path.Combine(_root, "index.html");
            }

            response.ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            response.Headers["Cache-Control"] = "no-cache";
            var send = file;
            if ((context.Request.Headers["Accept-Encoding"] ?? "").Contains("gzip", StringComparison.Ordinal) && File.Exists(file + ".gz"))
            {
                send = file + ".gz";
                response.Headers["Content-Encoding"] = "gzip";
            }

            var bytes = await File.ReadAllBytesAsync(send, _stopping.Token);
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes, _stopping.Token);
        }
        catch (Exception ex) when (ex is IOException or HttpListenerException or OperationCanceledException or ObjectDisposedException)
        {
            // The browser went away, or the bench is stopping: nothing to answer.
        }
        finally
        {
            response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Close();
        await _loop;
        _stopping.Dispose();
    }
}
