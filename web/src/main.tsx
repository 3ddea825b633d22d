import "./styles.css";

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

import { ApiError, api, ok, session, setToken, token } from "./api";
import { Auth } from "./auth";
import { Board } from "./board/Board";
import { filterFromQuery, isFiltered } from "./board/filter";
import { useLazy } from "./lazy";
import { prefetchBoard } from "./prefetch";
import { Projects } from "./projects";
import { navigate, onLink, parse, useLocation } from "./route";
import { useUnread } from "./inbox/unread";
import { applyTheme, storedTheme, type Theme } from "./theme";
import type { User } from "./types";
import { Avatar } from "./ui";

applyTheme(storedTheme());

// A signed-in board asks for its data now, while /me is on its way, not after.
const first = parse(location.pathname);
if (token() && first.page === "board" && !isFiltered(filterFromQuery(location.search))) {
  prefetchBoard(first.projectId);
}

function App() {
  const { path } = useLocation();
  const route = parse(path);
  const [me, setMe] = useState<User | null | undefined>(token() ? undefined : null);
  const Settings = useLazy(
    () => import("./settings/Settings").then((m) => m.Settings),
    route.page === "settings",
  );
  const Inbox = useLazy(() => import("./inbox/Inbox").then((m) => m.Inbox), route.page === "inbox");
  const List = useLazy(() => import("./list/List").then((m) => m.List), route.page === "list");
  const MyWork = useLazy(() => import("./mywork/MyWork").then((m) => m.MyWork), route.page === "mywork");

  useEffect(() => {
    session.expired = () => {
      setToken(null);
      setMe(null);
    };
    if (me === undefined) {
      ok(api.GET("/api/v1/me"))
        .then(setMe)
        .catch((error) => {
          // a server that is down is not a signed-out user: keep the token and try again
          if (error instanceof ApiError && error.status === 401) setMe(null);
          else setTimeout(() => setMe(undefined), 2000);
        });
    }
  }, [me]);

  if (me === undefined) return <div class="splash">Laneway</div>;
  if (me === null || route.page === "login" || route.page === "register") {
    if (me !== null) {
      navigate("/", { replace: true });
      return null;
    }
    return (
      <Auth
        mode={route.page === "register" ? "register" : "login"}
        onSignedIn={(user) => {
          setMe(user);
          if (route.page === "login" || route.page === "register") navigate("/", { replace: true });
        }}
      />
    );
  }
  const signOut = async () => {
    await ok(api.POST("/api/v1/auth/logout")).catch(() => undefined);
    setToken(null);
    setMe(null);
    navigate("/login");
  };
  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="/" onClick={onLink}>
          Laneway
        </a>
        <div id="topbar-slot" class="topbar-slot" />
        <a class="link-button" href="/my-work" onClick={onLink}>
          My work
        </a>
        <Bell />
        <ThemeSwitch />
        <Avatar id={me.id} name={me.name} size="sm" />
        <button type="button" class="link-button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {route.page === "projects" && <Projects />}
      {route.page === "board" && <Board key={route.projectId} projectId={route.projectId} me={me} />}
      {route.page === "list" && List && <List key={route.projectId} projectId={route.projectId} me={me} />}
      {route.page === "settings" && Settings && <Settings projectId={route.projectId} me={me} />}
      {route.page === "inbox" && Inbox && <Inbox />}
      {route.page === "mywork" && MyWork && <MyWork />}
      {route.page === "missing" && (
        <main class="page">
          <h1>Not found</h1>
          <a href="/" onClick={onLink}>
            Back to projects
          </a>
        </main>
      )}
    </div>
  );
}

function Bell() {
  const unread = useUnread();
  const label = unread ? `Inbox, ${unread} unread` : "Inbox";
  return (
    <a class="link-button bell" href="/inbox" onClick={onLink} aria-label={label} title={label}>
      🔔{unread ? <span class="badge">{unread > 99 ? "99+" : unread}</span> : null}
    </a>
  );
}

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(storedTheme());
  const next: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
  return (
    <button
      type="button"
      class="link-button"
      aria-label="Colour theme"
      title="Colour theme: system, light or dark"
      onClick={() => {
        applyTheme(next[theme]);
        setTheme(next[theme]);
      }}
    >
      {theme === "system" ? "◐ Auto" : theme === "light" ? "☀ Light" : "☾ Dark"}
    </button>
  );
}

render(<App />, document.getElementById("app")!);
