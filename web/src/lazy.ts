// Load a component's chunk on first use (a few lines instead of preact/compat's lazy+Suspense).

import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

export function useLazy<P>(load: () => Promise<ComponentType<P>>, wanted: boolean): ComponentType<P> | null {
  const [component, setComponent] = useState<{ c: ComponentType<P> } | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!wanted || component) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    load().then(
      (c) => setComponent({ c }),
      () => (timer = setTimeout(() => setAttempt((a) => a + 1), 2000)), // server restarting
    );
    return () => clearTimeout(timer);
  }, [wanted, attempt]);
  return component?.c ?? null;
}
