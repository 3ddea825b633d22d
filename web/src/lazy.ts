// Load a component's chunk on first use (a few lines instead of preact/compat's lazy+Suspense).

import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

export function useLazy<P>(load: () => Promise<ComponentType<P>>, wanted: boolean): ComponentType<P> | null {
  const [component, setComponent] = useState<{ c: ComponentType<P> } | null>(null);
  useEffect(() => {
    if (wanted && !component) void load().then((c) => setComponent({ c }));
  }, [wanted]);
  return component?.c ?? null;
}
