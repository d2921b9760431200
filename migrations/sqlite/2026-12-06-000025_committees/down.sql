DROP TABLE item_votes;
DROP TABLE item_declarations;
DROP TABLE agenda_items;
DROP TABLE meeting_attendance;
DROP TABLE meetings;
DROP TABLE committee_members;
DROP TABLE committees;
