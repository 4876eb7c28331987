// The project key (publishable: apps embed it), with copy and rotation behind a confirmation.
import { useState } from 'react';

import { describe } from '../api/errors';
import { useRotateKey } from '../api/queries';
import type { Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { CopyButton } from '../components/CopyButton';
import { Dialog } from '../components/Dialog';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';

export function KeyCard({ project }: { project: Project }) {
  const [confirming, setConfirming] = useState(false);
  const rotate = useRotateKey(project.id);
  const toast = useToast();
  const close = () => {
    setConfirming(false);
    rotate.reset();
  };
  return (
    <Card
      id="project-key"
      title="Project key"
      description="Identifies this project to the proxy. It is publishable: your app may embed it."
      footer={
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Rotate key…
        </Button>
      }
    >
      <div className="key-box">
        <code aria-label="Project key" data-testid="project-key">
          {project.projectKey}
        </code>
        <CopyButton text={project.projectKey} what="project key" />
      </div>
      <Dialog
        open={confirming}
        onClose={close}
        title="Rotate the project key?"
        actions={
          <>
            <Button variant="ghost" onClick={close}>
              Cancel
            </Button>
            <Button
              variant="danger"
              loading={rotate.isPending}
              onClick={() =>
                rotate.mutate(undefined, {
                  onSuccess: () => {
                    close();
                    toast('New project key issued');
                  },
                })
              }
            >
              Rotate key
            </Button>
          </>
        }
      >
        <p>
          A new key replaces <code className="code-inline">{project.projectKey.slice(0, 10)}…</code>. The current key stops
          working <strong>immediately</strong>: apps still using it get 401 until they switch to the new one.
        </p>
        {rotate.isError && <Alert tone="error">{describe(rotate.error)}</Alert>}
      </Dialog>
    </Card>
  );
}
