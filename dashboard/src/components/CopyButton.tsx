import { useEffect, useState } from 'react';

import { Button } from './Button';

async function copy(text: string) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (or not a secure context): the old way.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

interface CopyButtonProps {
  text: string;
  /** What is copied, for the accessible name: "Copy project key". */
  what: string;
  variant?: 'secondary' | 'ghost';
}

export function CopyButton({ text, what, variant = 'secondary' }: CopyButtonProps) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1800);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <Button
      size="sm"
      variant={variant}
      aria-label={copied ? `${what} copied` : `Copy ${what}`}
      onClick={() => void copy(text).then(() => setCopied(true))}
    >
      {copied ? 'Copied' : 'Copy'}
    </Button>
  );
}
