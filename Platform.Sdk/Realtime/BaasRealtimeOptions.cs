using Microsoft.AspNetCore.SignalR.Client;

namespace Platform.Sdk;

/// <summary>How a <see cref="BaasClient"/> runs its realtime connection (<c>WatchAsync</c>).</summary>
public class BaasRealtimeOptions
{
    /// <summary>
    /// Changes one watch may hold that its reader has not taken yet. A reader that falls this far behind is not
    /// buffered further: the watch unsubscribes and, once the reader has caught up, resumes from the last change it
    /// holds (or resets with a snapshot when the server no longer has the missed changes). Default 1,000.
    /// </summary>
    public int BufferCapacity { get; set; } = 1000;

    /// <summary>The longest random wait before reconnecting after a dropped connection, and the first backoff step after a failed attempt. Default 1 s.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between reconnect attempts (the backoff doubles up to it). Default 30 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether each (re)connection first asks the server for a one-use realtime ticket (<c>POST /api/realtime/ticket</c>,
    /// with the client's token or service key) and opens a websocket with the ticket instead of the credential itself.
    /// Default null: in a browser (Blazor WebAssembly) yes, since a browser's websocket cannot carry a header and the access
    /// token would otherwise go into the connection's URL; elsewhere no, and the token goes in the <c>Authorization</c>
    /// header. Set true to use tickets anywhere (websockets only), false never to. Signed out without a service key, the
    /// connection is anonymous and needs no ticket.
    /// </summary>
    public bool? UseTickets { get; set; }

    /// <summary>
    /// Adjusts the SignalR connection before it is built, e.g. <c>hub =&gt; hub.AddMessagePackProtocol()</c> for the
    /// MessagePack protocol (package <c>Microsoft.AspNetCore.SignalR.Protocols.MessagePack</c>) or logging. JSON is the default.
    /// </summary>
    public Action<IHubConnectionBuilder>? ConfigureConnection { get; set; }
}
