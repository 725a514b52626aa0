"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("setup");
  const result = document.getElementById("result");
  const token = new URLSearchParams(window.location.search).get("token") || "";
  if (!token) {
    result.textContent = "This link has no setup token. Use the link the server printed at start-up.";
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.textContent = "Creating…";
    const response = await fetch("/api/admin/setup", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, email: form.email.value, password: form.password.value }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      form.hidden = true;
      result.textContent = `Admin ${body.admin.email} created. Sign in with POST /api/admin/auth/login; see the README for the API.`;
    } else {
      const details = (body.errors || []).map((e) => `${e.path}: ${e.message}`).join("; ");
      result.textContent = `${body.detail || body.title || response.statusText}${details ? " (" + details + ")" : ""}`;
    }
  });
});
