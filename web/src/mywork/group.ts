// Due dates in the groups "My work" shows, in local days.

export type Group = "Overdue" | "Today" | "This week" | "Later" | "No due date";
export const GROUPS: Group[] = ["Overdue", "Today", "This week", "Later", "No due date"];

export function groupOf(due: string | null, today: Date = new Date()): Group {
  if (due === null) return "No due date";
  const day = new Date(`${due}T00:00:00`);
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  const days = Math.round((day.getTime() - start.getTime()) / 86_400_000);
  if (days < 0) return "Overdue";
  if (days === 0) return "Today";
  if (days < 7) return "This week";
  return "Later";
}
