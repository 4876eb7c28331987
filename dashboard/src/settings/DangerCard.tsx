// Deleting a project, confirmed by typing its name.
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { describe } from '../api/errors';
import { useDeleteProject } from '../api/queries';
import type { Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { Dialog } from '../components/Dialog';
import { TextField } from '../components/Field';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';

export function DangerCard({ project }: { project: Project }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const remove = useDeleteProject(project.id);
  const navigate = useNavigate();
  const toast = useToast();
  const close = () => {
    setOpen(false);
    setTyped('');
    remove.reset();
  };
  return (
    <Card
      id="danger"
      tone="danger"
      title="Delete project"
      description="Deletes the project, its key, limits, rules and request log. Apps using its key get 401."
      footer={
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete project…
        </Button>
      }
    >
      <Dialog
        open={open}
        onClose={close}
        title={`Delete "${project.name}"?`}
        actions={
          <>
            <Button variant="ghost" onClick={close}>
              Cancel
            </Button>
            <Button
              variant="danger"
              disabled={typed !== project.name}
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(undefined, {
                  onSuccess: () => {
                    toast(`Project "${project.name}" deleted`);
                    navigate('/projects', { replace: true });
                  },
                })
              }
            >
              Delete forever
            </Button>
          </>
        }
      >
        <p>This cannot be undone. Usage history and rules are lost, and the project key stops working at once.</p>
        <TextField
          label={
            <>
              Type <strong>{project.name}</strong> to confirm
            </>
          }
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        {remove.isError && <Alert tone="error">{describe(remove.error)}</Alert>}
      </Dialog>
      <p className="muted">Deleting is permanent. Rotate the key instead if you only need to cut off its users.</p>
    </Card>
  );
}
