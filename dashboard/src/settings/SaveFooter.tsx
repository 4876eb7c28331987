// The footer of a settings card: what changed, and the save button.
import { Button } from '../components/Button';

export function SaveFooter({ dirty, saving, label = 'Save changes' }: { dirty: boolean; saving: boolean; label?: string }) {
  return (
    <>
      <span className="muted" style={{ marginRight: 'auto', fontSize: 'var(--text-sm)' }} aria-live="polite">
        {dirty ? 'Unsaved changes' : ''}
      </span>
      <Button type="submit" variant="primary" disabled={!dirty} loading={saving}>
        {label}
      </Button>
    </>
  );
}
